"""Platform connectors: plugins that deliver referral packages."""
