using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        /// <summary>NID_X25519 from obj_mac.h.</summary>
        internal const int EVP_PKEY_X25519 = 1034;

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial SafeEvpPkeyHandle EVP_PKEY_new_raw_private_key(int type, IntPtr engine, byte* priv, nuint len);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial SafeEvpPkeyHandle EVP_PKEY_new_raw_public_key(int type, IntPtr engine, byte* pub, nuint len);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_PKEY_get_raw_public_key(SafeEvpPkeyHandle pkey, byte* pub, nuint* len);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_PKEY_free(IntPtr pkey);

        [LibraryImport(Libraries.Crypto)]
        internal static partial SafeEvpPkeyCtxHandle EVP_PKEY_CTX_new(SafeEvpPkeyHandle pkey, IntPtr engine);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_PKEY_CTX_free(IntPtr ctx);

        [LibraryImport(Libraries.Crypto)]
        internal static partial int EVP_PKEY_derive_init(SafeEvpPkeyCtxHandle ctx);

        [LibraryImport(Libraries.Crypto)]
        internal static partial int EVP_PKEY_derive_set_peer(SafeEvpPkeyCtxHandle ctx, SafeEvpPkeyHandle peer);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_PKEY_derive(SafeEvpPkeyCtxHandle ctx, byte* key, nuint* keylen);
    }
}
