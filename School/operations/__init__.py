"""Running the platform: creating and removing schools (provisioning), demo
data, backing up, restoring, cloning and moving one school (backups, loading,
restore), and running one command as one school or fanned out over all of them."""
