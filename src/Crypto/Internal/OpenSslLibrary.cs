using System.Runtime.InteropServices;

namespace RouterHost.Crypto.Internal;

/// <summary>libcrypto as loaded by <see cref="Interop.Libraries"/>: present, and version 3.0 or newer.</summary>
internal static class OpenSslLibrary
{
    internal static readonly bool IsSupported;
    internal static readonly string? Version;

    static OpenSslLibrary()
    {
        if (Interop.Libraries.CryptoHandle == IntPtr.Zero)
        {
            return;
        }

        // The EVP provider API (EVP_CIPHER_fetch, EVP_MAC) and raw X25519 keys need 3.0.
        if (Interop.Crypto.OpenSSL_version_num() < 0x3000_0000UL)
        {
            return;
        }

        Version = Marshal.PtrToStringUTF8(Interop.Crypto.OpenSSL_version(0));
        IsSupported = true;
    }
}
