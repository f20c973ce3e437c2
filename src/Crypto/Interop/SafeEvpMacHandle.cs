using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one OpenSSL <c>EVP_MAC</c>; released with <c>EVP_MAC_free</c>.</summary>
internal sealed class SafeEvpMacHandle : SafeHandle
{
    public SafeEvpMacHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.EVP_MAC_free(handle);
        return true;
    }
}
