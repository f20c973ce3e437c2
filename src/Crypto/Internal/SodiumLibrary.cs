using System.Runtime.InteropServices;

namespace RouterHost.Crypto.Internal;

/// <summary>libsodium as loaded by <see cref="Interop.Libraries"/>: present and initialised.</summary>
internal static class SodiumLibrary
{
    internal static readonly bool IsSupported;
    internal static readonly string? Version;

    static SodiumLibrary()
    {
        if (Interop.Libraries.SodiumHandle == IntPtr.Zero)
        {
            return;
        }

        // sodium_init returns 0 on first success, 1 when already initialised, -1 on failure.
        if (Interop.Sodium.sodium_init() < 0)
        {
            return;
        }

        Version = Marshal.PtrToStringUTF8(Interop.Sodium.sodium_version_string());
        IsSupported = true;
    }
}
