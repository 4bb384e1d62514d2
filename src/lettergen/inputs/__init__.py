"""The user's files as values: recipient lists, the signatory profile, the campaign file.

Nothing here knows of templates or letters."""
