"""Loopback fakes of the outside APIs (Airtable, OpenAI, Twilio).

Each fake speaks the vendor's wire format as documented (see
/work/shared/PROTOCOLS.md), runs on 127.0.0.1 on an ephemeral port, logs
every request, and accepts injected faults.  See README.md in this folder.
"""
