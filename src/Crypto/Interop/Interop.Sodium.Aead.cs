using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sodium
    {
        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            byte* c, byte* mac, ulong* maclen_p, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);

        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
            byte* c, byte* mac, ulong* maclen_p, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);
    }
}
