namespace RouterHost.Netlink;

/// <summary>
/// Walks the rtattrs of a message payload. Every rta_len is checked against the bytes that remain before
/// the attribute is read; offsets in errors are relative to the whole datagram.
/// </summary>
internal ref struct NetlinkAttributeReader
{
    private readonly ReadOnlySpan<byte> _attributes;
    private readonly int _baseOffset;
    private int _offset;

    /// <param name="attributes">The attribute area (the payload after the fixed family header).</param>
    /// <param name="baseOffset">Offset of <paramref name="attributes"/> within the datagram, for error messages.</param>
    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes, int baseOffset)
    {
        _attributes = attributes;
        _baseOffset = baseOffset;
        _offset = 0;
    }

    public bool TryRead(out NetlinkAttribute attribute)
    {
        attribute = default;
        if (_offset >= _attributes.Length)
        {
            return false;
        }

        var offset = _offset;
        var remaining = _attributes.Length - offset;
        if (remaining < Interop.Netlink.RTA_HDRLEN)
        {
            throw new MalformedNetlinkMessageException(
                $"truncated rtattr header: {remaining} bytes remain in the message, an attribute header needs {Interop.Netlink.RTA_HDRLEN}",
                _baseOffset + offset);
        }

        var length = HostOrder.ReadUInt16(_attributes[offset..]);
        var type = HostOrder.ReadUInt16(_attributes[(offset + 2)..]);
        if (length < Interop.Netlink.RTA_HDRLEN)
        {
            throw new MalformedNetlinkMessageException(
                $"rta_len {length} (type {type & Interop.Netlink.NLA_TYPE_MASK}) is smaller than the {Interop.Netlink.RTA_HDRLEN}-byte attribute header",
                _baseOffset + offset);
        }

        if (length > remaining)
        {
            throw new MalformedNetlinkMessageException(
                $"rta_len {length} (type {type & Interop.Netlink.NLA_TYPE_MASK}) runs past the end of its message ({remaining} bytes remain)",
                _baseOffset + offset);
        }

        var end = offset + length;
        var next = Alignment.Align(end);
        if (next > _attributes.Length)
        {
            if (end != _attributes.Length)
            {
                throw new MalformedNetlinkMessageException(
                    $"{_attributes.Length - end} stray bytes after the attribute (rta_len {length}, type {type & Interop.Netlink.NLA_TYPE_MASK}): neither its 4-byte alignment padding nor the end of the message",
                    _baseOffset + end);
            }

            next = _attributes.Length;
        }

        attribute = new NetlinkAttribute(
            (ushort)(type & Interop.Netlink.NLA_TYPE_MASK),
            _baseOffset + offset,
            _attributes.Slice(offset + Interop.Netlink.RTA_HDRLEN, length - Interop.Netlink.RTA_HDRLEN));
        _offset = next;
        return true;
    }
}
