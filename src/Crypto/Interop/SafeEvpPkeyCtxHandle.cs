using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one OpenSSL <c>EVP_PKEY_CTX</c>; released with <c>EVP_PKEY_CTX_free</c>.</summary>
internal sealed class SafeEvpPkeyCtxHandle : SafeHandle
{
    public SafeEvpPkeyCtxHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.EVP_PKEY_CTX_free(handle);
        return true;
    }
}
