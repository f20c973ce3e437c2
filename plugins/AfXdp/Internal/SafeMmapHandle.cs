using System.Runtime.InteropServices;
using RouterHost.Linux;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>A memory mapping (the UMEM, or one of a socket's rings), unmapped exactly once when released.</summary>
internal sealed unsafe class SafeMmapHandle : SafeHandle
{
    private SafeMmapHandle(nint address, nuint length)
        : base(Interop.Mman.MAP_FAILED, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public override bool IsInvalid => handle == Interop.Mman.MAP_FAILED || handle == 0;

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
        nint address = Interop.Mman.mmap(0, length, Interop.Mman.PROT_READ | Interop.Mman.PROT_WRITE,
            Interop.Mman.MAP_PRIVATE | Interop.Mman.MAP_ANONYMOUS | Interop.Mman.MAP_POPULATE, -1, 0);
        if (address == Interop.Mman.MAP_FAILED)
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
            nint address = Interop.Mman.mmap(0, length, Interop.Mman.PROT_READ | Interop.Mman.PROT_WRITE,
                Interop.Mman.MAP_SHARED | Interop.Mman.MAP_POPULATE, fd.Fd, offset);
            if (address == Interop.Mman.MAP_FAILED)
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

    protected override bool ReleaseHandle() => Interop.Mman.munmap(handle, Length) == 0;
}
