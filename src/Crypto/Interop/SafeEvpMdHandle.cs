using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one OpenSSL <c>EVP_MD</c>; released with <c>EVP_MD_free</c>.</summary>
internal sealed class SafeEvpMdHandle : SafeHandle
{
    public SafeEvpMdHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.EVP_MD_free(handle);
        return true;
    }
}
