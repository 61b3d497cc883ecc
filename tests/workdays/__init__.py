"""Tests of the working-day calendar: pure counting, services on the database, command and admin."""
