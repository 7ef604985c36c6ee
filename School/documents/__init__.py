"""A student's photo and documents, kept in the school's own storage and nowhere else.

models.py      metadata rows (StudentFile in the school's database, StorageUsage in the registry)
storage.py     where the bytes live: a directory beside the school's SQLite file, GridFS in its
               MongoDB database, or (optional) an S3-compatible bucket with a prefix per school
inspection.py  what a file really is, decided from its bytes; images decoded and re-encoded
service.py     store, replace, delete: limits, quota, usage figure, audit trail
carry.py       a student's files read out of one school and written into another (transfers)
archive.py     the files section of a backup (School/operations/backups.py)
"""
