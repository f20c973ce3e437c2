using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one OpenSSL <c>EVP_CIPHER_CTX</c>; released with <c>EVP_CIPHER_CTX_free</c>.</summary>
internal sealed class SafeEvpCipherCtxHandle : SafeHandle
{
    public SafeEvpCipherCtxHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Crypto.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}
