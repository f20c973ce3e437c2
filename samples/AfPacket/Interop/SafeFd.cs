using System.Runtime.InteropServices;

namespace RouterHost.Samples.AfPacket.Interop;

/// <summary>A file descriptor (a socket, an eventfd), closed once when released.</summary>
internal sealed class SafeFd : SafeHandle
{
    public SafeFd(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    /// <summary>The descriptor number (valid while the handle is not closed).</summary>
    public int Value => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}

/// <summary>A region mapped with mmap (a packet ring), unmapped once when released.</summary>
internal sealed unsafe class SafeMapping : SafeHandle
{
    private SafeMapping(nint address, nuint length)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public override bool IsInvalid => handle == -1 || handle == 0;

    /// <summary>The mapping's length in bytes.</summary>
    public nuint Length { get; }

    /// <summary>Its first byte.</summary>
    public byte* Pointer => (byte*)handle;

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared, read-write.</summary>
    public static SafeMapping Map(SafeFd fd, nuint length, string what)
    {
        nint address = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd.Value, 0);
        if (address == -1)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"mmap of {length} bytes for {what}");
        }

        return new SafeMapping(address, length);
    }

    protected override bool ReleaseHandle() => Libc.munmap(handle, Length) == 0;
}

/// <summary>Exceptions for failed calls: what failed, errno by name and number, and its text.</summary>
internal static class Errors
{
    /// <summary>An <see cref="IOException"/> saying what failed with <paramref name="errno"/>.</summary>
    public static IOException Native(int errno, string what) =>
        new($"{what} failed: {Libc.ErrorText(errno)} (errno {errno})") { HResult = errno };
}
