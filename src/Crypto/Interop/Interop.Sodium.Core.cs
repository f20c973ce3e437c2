using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Sodium
    {
        [LibraryImport(Libraries.Sodium)]
        internal static partial int sodium_init();

        [LibraryImport(Libraries.Sodium)]
        internal static partial IntPtr sodium_version_string();

        [LibraryImport(Libraries.Sodium)]
        internal static partial int sodium_library_version_major();

        [LibraryImport(Libraries.Sodium)]
        internal static partial IntPtr sodium_malloc(nuint size);

        [LibraryImport(Libraries.Sodium)]
        internal static partial void sodium_free(IntPtr ptr);

        [LibraryImport(Libraries.Sodium)]
        internal static unsafe partial int crypto_core_hchacha20(byte* @out, byte* @in, byte* k, byte* c);
    }
}
