"""The register's pages: taking one register, and today's registers and absentees."""
