using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay.Internal;

/// <summary>
/// Walks a control buffer as <c>CMSG_FIRSTHDR</c>/<c>CMSG_NXTHDR</c> do, but on a span and checked: a header must
/// fit, its <c>cmsg_len</c> must cover the header and stay inside the buffer, and the next header starts at
/// <c>CMSG_ALIGN(cmsg_len)</c>. A header that breaks these rules ends the walk and sets <see cref="Malformed"/>;
/// nothing is ever read outside the span.
/// </summary>
internal ref struct ControlMessageReader
{
    private ReadOnlySpan<byte> _rest;

    public ControlMessageReader(ReadOnlySpan<byte> control)
    {
        _rest = control;
        Malformed = false;
    }

    /// <summary>Whether the walk stopped at a header whose length is impossible.</summary>
    public bool Malformed { get; private set; }

    /// <summary>The next control message; false at the end (or at a malformed header).</summary>
    public bool TryNext(out int level, out int type, out ReadOnlySpan<byte> data)
    {
        level = 0;
        type = 0;
        data = default;
        int header = Unsafe.SizeOf<cmsghdr>();
        if (_rest.Length < header)
        {
            // Fewer bytes than a header left: the end (the kernel never starts a message it cannot fit).
            _rest = default;
            return false;
        }

        ulong length = MemoryMarshal.Read<nuint>(_rest);
        if (length < (ulong)header || length > (ulong)_rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }

        level = MemoryMarshal.Read<int>(_rest[sizeof(ulong)..]);
        type = MemoryMarshal.Read<int>(_rest[(sizeof(ulong) + sizeof(int))..]);
        data = _rest[header..(int)length];
        int next = CMSG_ALIGN((int)length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }
}
