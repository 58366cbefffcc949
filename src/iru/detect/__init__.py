"""Detection: signals on posts and media that explain themselves, and account assessment."""
