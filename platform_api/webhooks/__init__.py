"""Webhooks (issue 13, second part): members' endpoints, signed at-least-once delivery of their
event stream (Standard Webhooks), the dispatcher that fans the event log out and the worker."""
