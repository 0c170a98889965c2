"""Standard codes for what the clinic records (pure: no Django): the one code table (``codes``)."""
