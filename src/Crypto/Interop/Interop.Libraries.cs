using System.Reflection;
using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// Logical library names used by every <c>LibraryImport</c> in this assembly. The resolver below maps them
    /// to the versioned sonames we were built and tested against, so an unrelated unversioned
    /// <c>libcrypto.so</c> (OpenSSL 1.1 development symlink, say) is only a fallback. libsodium is the one the
    /// NSec.Cryptography package ships (package <c>libsodium</c> 1.0.22, <c>runtimes/linux-x64/native/libsodium.so</c>
    /// beside the application), loaded the way NSec loads it so both use the same copy; a system libsodium is only
    /// the fallback when that file is missing.
    /// </summary>
    internal static class Libraries
    {
        internal const string Crypto = "libcrypto";
        internal const string Sodium = "libsodium";

        private static readonly string[] s_cryptoNames = ["libcrypto.so.3", "libcrypto.so"];
        private static readonly string[] s_sodiumNames = ["libsodium.so.26", "libsodium.so.23", "libsodium.so"];

        private static readonly Lazy<IntPtr> s_crypto = new(() => TryLoadFirst(s_cryptoNames));
        private static readonly Lazy<IntPtr> s_sodium = new(LoadSodium);

        static Libraries()
        {
            // Runs once, before any native call: every interop user first reads CryptoHandle or SodiumHandle.
            NativeLibrary.SetDllImportResolver(typeof(Libraries).Assembly, Resolve);
        }

        /// <summary>The loaded libcrypto, or zero when none of the names could be loaded.</summary>
        internal static IntPtr CryptoHandle => s_crypto.Value;

        /// <summary>The loaded libsodium, or zero when none of the names could be loaded.</summary>
        internal static IntPtr SodiumHandle => s_sodium.Value;

        /// <summary>True when <see cref="SodiumHandle"/> is the libsodium shipped with NSec, false for a system one.</summary>
        internal static bool SodiumIsNSecs { get; private set; }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName switch
            {
                Crypto => s_crypto.Value,
                Sodium => s_sodium.Value,
                _ => IntPtr.Zero,
            };

        private static IntPtr LoadSodium()
        {
            // NSec's assembly registers no resolver: this is the probing NSec's own [DllImport("libsodium")] gets
            // (the application's deps.json native assets, then the default search).
            if (NativeLibrary.TryLoad(Sodium, typeof(NSec.Cryptography.Key).Assembly, null, out IntPtr handle) &&
                NativeLibrary.TryGetExport(handle, "crypto_aead_aegis256_encrypt", out _))
            {
                SodiumIsNSecs = true;
                return handle;
            }

            return TryLoadFirst(s_sodiumNames);
        }

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
