class BrandingRefused(ValueError):
    """A branding change that is not made; the message says why, for the person who asked (page or command)."""
