using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sodium
    {
        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);
    }
}
