"""Receipts, notices and queue tickets on ESC/POS thermal printers: layouts,
our own Chinese-correct encoder, printer connections and status, the job
journal, previews and a decoder for checking what we send."""
