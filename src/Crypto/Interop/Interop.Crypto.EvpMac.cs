using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        /// <summary>OSSL_PARAM from openssl/core.h; arrays end with an entry whose key is null.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct OSSL_PARAM
        {
            internal byte* key;
            internal uint data_type;
            internal void* data;
            internal nuint data_size;
            internal nuint return_size;
        }

        internal const uint OSSL_PARAM_UNSIGNED_INTEGER = 2;

        [LibraryImport(Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeEvpMacHandle EVP_MAC_fetch(IntPtr libctx, string algorithm, string? properties);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_MAC_free(IntPtr mac);

        [LibraryImport(Libraries.Crypto)]
        internal static partial SafeEvpMacCtxHandle EVP_MAC_CTX_new(SafeEvpMacHandle mac);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_MAC_CTX_free(IntPtr ctx);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_MAC_init(SafeEvpMacCtxHandle ctx, byte* key, nuint keylen, OSSL_PARAM* @params);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_MAC_update(SafeEvpMacCtxHandle ctx, byte* data, nuint datalen);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_MAC_final(SafeEvpMacCtxHandle ctx, byte* @out, nuint* outl, nuint outsize);

        [LibraryImport(Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeEvpMdHandle EVP_MD_fetch(IntPtr libctx, string algorithm, string? properties);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_MD_free(IntPtr md);

        [LibraryImport(Libraries.Crypto)]
        internal static partial SafeEvpMdCtxHandle EVP_MD_CTX_new();

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_MD_CTX_free(IntPtr ctx);

        [LibraryImport(Libraries.Crypto)]
        internal static partial int EVP_DigestInit_ex(SafeEvpMdCtxHandle ctx, SafeEvpMdHandle type, IntPtr impl);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_DigestUpdate(SafeEvpMdCtxHandle ctx, byte* d, nuint cnt);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_DigestFinal_ex(SafeEvpMdCtxHandle ctx, byte* md, uint* s);
    }
}
