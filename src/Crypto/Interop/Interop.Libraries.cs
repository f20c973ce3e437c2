using System.Reflection;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// Logical library names used by every <c>LibraryImport</c> in this assembly. The resolver below maps them
    /// to the versioned sonames we were built and tested against, so an unrelated unversioned
    /// <c>libcrypto.so</c> (OpenSSL 1.1 development symlink, say) is only a fallback.
    /// </summary>
    internal static class Libraries
    {
        internal const string Crypto = "libcrypto";
        internal const string Sodium = "libsodium";

        private static readonly string[] s_cryptoNames = ["libcrypto.so.3", "libcrypto.so"];
        private static readonly string[] s_sodiumNames = ["libsodium.so.23", "libsodium.so"];

        private static readonly Lazy<IntPtr> s_crypto = new(() => TryLoadFirst(s_cryptoNames));
        private static readonly Lazy<IntPtr> s_sodium = new(() => TryLoadFirst(s_sodiumNames));

        static Libraries()
        {
            // Runs once, before any native call: every interop user first reads CryptoHandle or SodiumHandle.
            NativeLibrary.SetDllImportResolver(typeof(Libraries).Assembly, Resolve);
        }

        /// <summary>The loaded libcrypto, or zero when none of the names could be loaded.</summary>
        internal static IntPtr CryptoHandle => s_crypto.Value;

        /// <summary>The loaded libsodium, or zero when none of the names could be loaded.</summary>
        internal static IntPtr SodiumHandle => s_sodium.Value;

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName switch
            {
                Crypto => s_crypto.Value,
                Sodium => s_sodium.Value,
                _ => IntPtr.Zero,
            };

        private static IntPtr TryLoadFirst(string[] names)
        {
            foreach (string name in names)
            {
                if (NativeLibrary.TryLoad(name, out IntPtr handle))
                {
                    return handle;
                }
            }

            return IntPtr.Zero;
        }
    }
}
