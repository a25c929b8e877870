"""SNMP access shared by discovery (topology) and polling (monitor): a fast BER codec for v2c,
pysnmp 7's engine for v3, one :class:`~govnet.snmp.client.Session` interface for both."""
