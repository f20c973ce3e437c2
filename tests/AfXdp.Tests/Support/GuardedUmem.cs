using System.Runtime.InteropServices;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// UMEM for tests, mmapped with an inaccessible page on each side (mprotect PROT_NONE): any read or write outside
/// the UMEM by the code under test faults and takes the test process down, so "no out-of-bounds access" is checked
/// by the hardware, not by hoping.
/// </summary>
internal sealed unsafe partial class GuardedUmem : IDisposable
{
    private const int PROT_NONE = 0;
    private const int Page = 4096;
    private readonly nint _mapping;
    private readonly nuint _length;

    public GuardedUmem(UmemLayout layout)
    {
        Layout = layout;
        Bytes = checked((int)layout.Bytes);
        _length = (nuint)(Bytes + (2 * Page));
        _mapping = RouterHost.Linux.Interop.Libc.mmap(0, _length, RouterHost.Linux.Interop.Libc.PROT_READ | RouterHost.Linux.Interop.Libc.PROT_WRITE, RouterHost.Linux.Interop.Libc.MAP_PRIVATE | RouterHost.Linux.Interop.Libc.MAP_ANONYMOUS, -1, 0);
        Assert.NotEqual(RouterHost.Linux.Interop.Libc.MAP_FAILED, _mapping);
        Assert.Equal(0, mprotect(_mapping, Page, PROT_NONE));
        Assert.Equal(0, mprotect(_mapping + Page + Bytes, Page, PROT_NONE));
        Pointer = (byte*)(_mapping + Page);
        Memory = new UmemMemoryManager(Pointer, Bytes);
    }

    public UmemLayout Layout { get; }

    public int Bytes { get; }

    public byte* Pointer { get; }

    public UmemMemoryManager Memory { get; }

    public Span<byte> Frame(uint frame) => new(Pointer + ((long)frame * Layout.FrameSize), Layout.FrameSize);

    public void Dispose() => RouterHost.Linux.Interop.Libc.munmap(_mapping, _length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint addr, nuint len, int prot);
}
