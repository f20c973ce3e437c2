using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        /// <summary><c>OSSL_OP_CIPHER</c> (core_dispatch.h).</summary>
        internal const int OSSL_OP_CIPHER = 2;

        // Cipher dispatch function ids (core_dispatch.h).
        internal const int OSSL_FUNC_CIPHER_NEWCTX = 1;
        internal const int OSSL_FUNC_CIPHER_ENCRYPT_INIT = 2;
        internal const int OSSL_FUNC_CIPHER_DECRYPT_INIT = 3;
        internal const int OSSL_FUNC_CIPHER_UPDATE = 4;
        internal const int OSSL_FUNC_CIPHER_FINAL = 5;
        internal const int OSSL_FUNC_CIPHER_FREECTX = 7;
        internal const int OSSL_FUNC_CIPHER_GET_CTX_PARAMS = 10;

        /// <summary><c>OSSL_PARAM_OCTET_STRING</c> (core.h).</summary>
        internal const uint OSSL_PARAM_OCTET_STRING = 5;

        /// <summary><c>OSSL_PARAM_UNMODIFIED</c> (params.h): <c>(size_t)-1</c>.</summary>
        internal static nuint OSSL_PARAM_UNMODIFIED => nuint.MaxValue;

        // struct ossl_param_st is OSSL_PARAM in Interop.Crypto.EvpMac.cs.

        /// <summary><c>struct ossl_dispatch_st</c> (core.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct OSSL_DISPATCH
        {
            internal int function_id;
            internal IntPtr function;
        }

        /// <summary><c>struct ossl_algorithm_st</c> (core.h).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct OSSL_ALGORITHM
        {
            internal byte* algorithm_names;
            internal byte* property_definition;
            internal OSSL_DISPATCH* implementation;
            internal byte* algorithm_description;
        }

        [LibraryImport(Libraries.Crypto)]
        internal static partial IntPtr EVP_CIPHER_get0_provider(SafeEvpCipherHandle cipher);

        [LibraryImport(Libraries.Crypto)]
        internal static partial IntPtr OSSL_PROVIDER_get0_provider_ctx(IntPtr prov);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial OSSL_ALGORITHM* OSSL_PROVIDER_query_operation(IntPtr prov, int operation_id, int* no_cache);

        [LibraryImport(Libraries.Crypto)]
        internal static unsafe partial void OSSL_PROVIDER_unquery_operation(IntPtr prov, int operation_id, OSSL_ALGORITHM* algs);
    }
}
