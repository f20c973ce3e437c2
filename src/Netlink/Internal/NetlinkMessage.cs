namespace RouterHost.Netlink;

/// <summary>One validated netlink message inside a datagram: the header fields and a view of the payload.</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, int offset, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Offset = offset;
        Payload = payload;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    public uint Sequence { get; }

    public uint PortId { get; }

    /// <summary>Offset of the nlmsghdr within the datagram.</summary>
    public int Offset { get; }

    /// <summary>Offset of the first payload byte within the datagram.</summary>
    public int PayloadOffset => Offset + Interop.Netlink.NLMSG_HDRLEN;

    /// <summary>The bytes after the header, nlmsg_len - 16 of them.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    public bool HasFlag(ushort flag) => (Flags & flag) == flag;
}
