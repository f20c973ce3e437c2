using System.Runtime.InteropServices;

namespace RouterHost.Linux;

/// <summary>A Linux file descriptor, closed exactly once when released.</summary>
public sealed class SafeFileDescriptor : SafeHandle
{
    public SafeFileDescriptor()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    public SafeFileDescriptor(int fd, bool ownsHandle = true)
        : base(new IntPtr(-1), ownsHandle) => SetHandle(fd);

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number (only meaningful while the handle is alive).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Interop.Libc.close((int)handle.ToInt64()) == 0;
}
