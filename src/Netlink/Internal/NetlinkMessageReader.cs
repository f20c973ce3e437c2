using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RouterHost.Netlink;

/// <summary>
/// Walks the messages of one netlink datagram. Every nlmsg_len is checked against the bytes that remain
/// before any of the message is read; a failure throws <see cref="MalformedNetlinkMessageException"/>
/// naming the problem and the offset, so nothing is ever read outside the buffer.
/// </summary>
internal ref struct NetlinkMessageReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _offset;

    public NetlinkMessageReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _offset = 0;
    }

    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_offset >= _buffer.Length)
        {
            return false;
        }

        var offset = _offset;
        var remaining = _buffer.Length - offset;
        if (remaining < Interop.Netlink.NLMSG_HDRLEN)
        {
            throw new MalformedNetlinkMessageException(
                $"truncated nlmsghdr: {remaining} bytes remain, a header needs {Interop.Netlink.NLMSG_HDRLEN}", offset);
        }

        var header = _buffer.Slice(offset, Interop.Netlink.NLMSG_HDRLEN);
        var length = MemoryMarshal.Read<uint>(header);
        if (length < Interop.Netlink.NLMSG_HDRLEN)
        {
            throw new MalformedNetlinkMessageException(
                $"nlmsg_len {length} is smaller than the {Interop.Netlink.NLMSG_HDRLEN}-byte header", offset);
        }

        if (length > (uint)remaining)
        {
            throw new MalformedNetlinkMessageException(
                $"nlmsg_len {length} runs past the end of the datagram ({remaining} of {_buffer.Length} bytes remain)", offset);
        }

        var end = offset + (int)length;
        var next = Alignment.Align(end);
        if (next >= _buffer.Length)
        {
            // The last message: its padding may be present or absent, but nothing else may follow.
            next = _buffer.Length;
        }
        else if (end != next)
        {
            throw new MalformedNetlinkMessageException(
                $"nlmsg_len {length} is not a multiple of 4 but more data follows: message boundaries are misaligned", offset);
        }

        var type = MemoryMarshal.Read<ushort>(header[4..]);
        var flags = MemoryMarshal.Read<ushort>(header[6..]);
        var sequence = MemoryMarshal.Read<uint>(header[8..]);
        var portId = MemoryMarshal.Read<uint>(header[12..]);
        message = new NetlinkMessage(
            type, flags, sequence, portId, offset,
            _buffer.Slice(offset + Interop.Netlink.NLMSG_HDRLEN, (int)length - Interop.Netlink.NLMSG_HDRLEN));
        _offset = next;
        return true;
    }
}

/// <summary>NLMSG_ALIGN / RTA_ALIGN: round up to a multiple of 4.</summary>
internal static class Alignment
{
    public static int Align(int length) => (length + 3) & ~3;
}

/// <summary>Reads of fixed-size fields in host byte order, as netlink carries them.</summary>
internal static class HostOrder
{
    public static ushort ReadUInt16(ReadOnlySpan<byte> bytes) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);

    public static uint ReadUInt32(ReadOnlySpan<byte> bytes) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);

    public static int ReadInt32(ReadOnlySpan<byte> bytes) => unchecked((int)ReadUInt32(bytes));

    public static ulong ReadUInt64(ReadOnlySpan<byte> bytes) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt64BigEndian(bytes);
}
