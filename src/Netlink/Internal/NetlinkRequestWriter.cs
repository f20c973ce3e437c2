using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace RouterHost.Netlink;

/// <summary>
/// Builds one netlink request at a time into a reusable buffer: nlmsghdr, the family's fixed header,
/// then rtattrs, each padded to 4 bytes; <see cref="Finish"/> writes nlmsg_len.
/// </summary>
internal sealed class NetlinkRequestWriter
{
    private byte[] _buffer = new byte[512];
    private int _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts a message: writes the header with nlmsg_len to be filled by <see cref="Finish"/>.</summary>
    public void Begin(ushort type, ushort flags, uint sequence)
    {
        _length = 0;
        var header = Reserve(Interop.Netlink.NLMSG_HDRLEN);
        WriteUInt32(header, 0);
        WriteUInt16(header[4..], type);
        WriteUInt16(header[6..], flags);
        WriteUInt32(header[8..], sequence);
        WriteUInt32(header[12..], 0);
    }

    /// <summary>Reserves a zeroed fixed header (ifinfomsg, ifaddrmsg, rtmsg, ndmsg) for the caller to fill.</summary>
    public Span<byte> AddFixedHeader(int size) => Reserve(Alignment.Align(size))[..size];

    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        var length = Interop.Netlink.RTA_HDRLEN + value.Length;
        if (length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "an rtattr payload must fit a 16-bit length");
        }

        var space = Reserve(Alignment.Align(length));
        WriteUInt16(space, (ushort)length);
        WriteUInt16(space[2..], type);
        value.CopyTo(space[Interop.Netlink.RTA_HDRLEN..]);
    }

    public void AddUInt8(ushort type, byte value) => AddAttribute(type, [value]);

    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        WriteUInt32(bytes, value);
        AddAttribute(type, bytes);
    }

    public void AddAddress(ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException($"cannot encode address {address}", nameof(address));
        }

        AddAttribute(type, bytes[..written]);
    }

    /// <summary>A NUL-terminated string attribute.</summary>
    public void AddString(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        AddAttribute(type, bytes);
    }

    /// <summary>Writes nlmsg_len and returns the finished message.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        WriteUInt32(_buffer, (uint)_length);
        return Written;
    }

    internal static void WriteUInt16(Span<byte> destination, ushort value)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, value);
        }
    }

    internal static void WriteUInt32(Span<byte> destination, uint value)
    {
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, value);
        }
    }

    private Span<byte> Reserve(int size)
    {
        if (_length + size > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }

        var span = _buffer.AsSpan(_length, size);
        span.Clear();
        _length += size;
        return span;
    }
}
