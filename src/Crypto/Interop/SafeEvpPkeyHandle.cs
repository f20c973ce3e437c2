using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one OpenSSL <c>EVP_PKEY</c>; released with <c>EVP_PKEY_free</c>.</summary>
internal sealed class SafeEvpPkeyHandle : SafeHandle
{
    public SafeEvpPkeyHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.EVP_PKEY_free(handle);
        return true;
    }
}
