"""Operations: the production web server and database backups."""
