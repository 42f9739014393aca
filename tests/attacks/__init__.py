"""The attack suite (issue 12): every attack of the review table, contained or refused; see README.md."""
