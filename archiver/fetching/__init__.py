"""Fetching a platform's data over its API into a directory of saved responses, for an importer to read.

Fetching is kept apart from parsing (archiver.ingest.importers): a fetch needs the network and a token, and
its output is the directory that `archiver import` reads offline, so a school can keep what it fetched,
fetch once and import again, or hand-save the same routes where it cannot run a fetch.
"""
