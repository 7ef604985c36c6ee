"""Running the platform: creating and removing schools (provisioning), demo
data, and running one command as one school or fanned out over all of them."""
