using System.Runtime.InteropServices;
using RouterHost.Linux;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>A memory mapping (the UMEM, or one of a socket's rings), unmapped exactly once when released.</summary>
internal sealed unsafe class SafeMmapHandle : SafeHandle
{
    private SafeMmapHandle(nint address, nuint length)
        : base(Linux.Interop.Libc.MAP_FAILED, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public override bool IsInvalid => handle == Linux.Interop.Libc.MAP_FAILED || handle == 0;

    /// <summary>The mapping's length in bytes.</summary>
    public nuint Length { get; }

    /// <summary>The first byte (only meaningful while the handle is alive).</summary>
    public byte* Pointer => (byte*)handle;

    /// <summary>
    /// Maps <paramref name="length"/> bytes of anonymous memory, page-aligned, populated (so the kernel can pin
    /// it at UMEM registration without faults), private to this process.
    /// </summary>
    public static SafeMmapHandle Anonymous(nuint length, string what)
    {
        nint address = Linux.Interop.Libc.mmap(0, length, Linux.Interop.Libc.PROT_READ | Linux.Interop.Libc.PROT_WRITE,
            Linux.Interop.Libc.MAP_PRIVATE | Linux.Interop.Libc.MAP_ANONYMOUS | Linux.Interop.Libc.MAP_POPULATE, -1, 0);
        if (address == Linux.Interop.Libc.MAP_FAILED)
        {
            throw LinuxException.FromErrno(Errno.Last, $"mmap of {length} bytes for {what}");
        }

        return new SafeMmapHandle(address, length);
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> at page offset <paramref name="offset"/>, shared.</summary>
    public static SafeMmapHandle Shared(SafeFileDescriptor fd, nuint length, long offset, string what)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            nint address = Linux.Interop.Libc.mmap(0, length, Linux.Interop.Libc.PROT_READ | Linux.Interop.Libc.PROT_WRITE,
                Linux.Interop.Libc.MAP_SHARED | Linux.Interop.Libc.MAP_POPULATE, fd.Fd, offset);
            if (address == Linux.Interop.Libc.MAP_FAILED)
            {
                throw LinuxException.FromErrno(Errno.Last, $"mmap of {what} ({length} bytes at offset 0x{offset:x})");
            }

            return new SafeMmapHandle(address, length);
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle() => Linux.Interop.Libc.munmap(handle, Length) == 0;
}
