"""Network analysis of supporter graphs: which accounts to remove to break a network apart."""
