"""The workspace's migrations: the test database is built by applying them forwards from an empty database
(SQLite here, PostgreSQL in tests/web_live/test_postgresql.py), and they describe the models exactly."""

from __future__ import annotations


def test_the_database_was_migrated_forwards_from_empty_to_the_desk():
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    applied = {(app, name) for app, name in MigrationRecorder(connection).applied_migrations()}
    assert {("workspace", "0001_initial"), ("workspace", "0002_desk")} <= applied
    tables = set(connection.introspection.table_names())
    assert {"workspace_event", "workspace_comment", "workspace_transition"} <= tables
    columns = {column.name for column in connection.introspection.get_table_description(
        connection.cursor(), "workspace_comment")}
    assert {"context_before", "context_after", "anchor_text"} <= columns


def test_the_migrations_describe_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "workspace", "--check", "--dry-run", verbosity=0)   # exits 1 on a difference


def test_the_text_permission_exists_for_admins_to_grant():
    from django.contrib.auth.models import Permission

    assert Permission.objects.filter(content_type__app_label="workspace", codename="edit_counselor_text").exists()
