"""iru: the open-source workbench of an Internet Referral Unit."""

__version__ = "0.1.0"
