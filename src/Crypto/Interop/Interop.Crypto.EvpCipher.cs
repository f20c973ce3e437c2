using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        internal const int EVP_CTRL_AEAD_GET_TAG = 0x10;
        internal const int EVP_CTRL_AEAD_SET_TAG = 0x11;

        [LibraryImport(Libraries.Crypto, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeEvpCipherHandle EVP_CIPHER_fetch(IntPtr libctx, string algorithm, string? properties);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_CIPHER_free(IntPtr cipher);

        [LibraryImport(Libraries.Crypto)]
        internal static partial SafeEvpCipherCtxHandle EVP_CIPHER_CTX_new();

        [LibraryImport(Libraries.Crypto)]
        internal static partial void EVP_CIPHER_CTX_free(IntPtr ctx);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_CipherInit_ex(SafeEvpCipherCtxHandle ctx, SafeEvpCipherHandle cipher, IntPtr impl, byte* key, byte* iv, int enc);

        // The data path passes the raw context pointer: the caller owns the context exclusively for the call
        // (see CipherContextPool), so the per-call SafeHandle add-ref/release would buy nothing.
        // Init (nonce only), Final (the last Poly1305 block) and ctrl (tag copy) are short and never block, so they
        // skip the GC transition; Update runs for as long as the data is and keeps it.
        [LibraryImport(Libraries.Crypto)]
        [SuppressGCTransition]
        internal static unsafe partial int EVP_CipherInit_ex(IntPtr ctx, IntPtr cipher, IntPtr impl, byte* key, byte* iv, int enc);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial int EVP_CipherUpdate(IntPtr ctx, byte* @out, int* outl, byte* @in, int inl);

        /// <summary>
        /// The same call for at most <see cref="ShortUpdateBytes"/> bytes (an MTU-sized packet: ≈ 0.7 µs of AVX-512
        /// ChaCha20-Poly1305), short enough to skip the GC transition as well; longer inputs keep it.
        /// </summary>
        [LibraryImport(Libraries.Crypto, EntryPoint = "EVP_CipherUpdate")]
        [SuppressGCTransition]
        internal static unsafe partial int EVP_CipherUpdate_Short(IntPtr ctx, byte* @out, int* outl, byte* @in, int inl);

        /// <summary>Inputs up to this long use <see cref="EVP_CipherUpdate_Short"/>.</summary>
        internal const int ShortUpdateBytes = 2048;

        [LibraryImport(Libraries.Crypto)]
        [SuppressGCTransition]
        internal static unsafe partial int EVP_CipherFinal_ex(IntPtr ctx, byte* outm, int* outl);

        [LibraryImport(Libraries.Crypto)]
        [SuppressGCTransition]
        internal static unsafe partial int EVP_CIPHER_CTX_ctrl(IntPtr ctx, int type, int arg, void* ptr);
    }
}
