using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace RouterHost.Crypto.Internal;

/// <summary>Throws out of line so that validating methods stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ArgumentLength(string paramName, int expected) =>
        throw new ArgumentException($"Must be {expected} bytes long.", paramName);

    [DoesNotReturn]
    internal static void ArgumentLengthRange(string paramName, int min, int max) =>
        throw new ArgumentException($"Must be between {min} and {max} bytes long.", paramName);

    [DoesNotReturn]
    internal static void Overlap(string paramName) =>
        throw new ArgumentException("Must not overlap the input, except exactly (in place).", paramName);

    [DoesNotReturn]
    internal static void WrongAlgorithm(string paramName) =>
        throw new ArgumentException("The key belongs to a different algorithm.", paramName);

    [DoesNotReturn]
    internal static void Disposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    internal static void NotSupported(string what) =>
        throw new PlatformNotSupportedException($"{what} needs OpenSSL 3 (libcrypto.so.3) or libsodium (libsodium.so shipped beside the application with NSec.Cryptography, or a system libsodium.so.23); neither could be loaded.");

    [DoesNotReturn]
    internal static void Native(string function) =>
        throw new CryptographicException($"{function} failed.");

    [DoesNotReturn]
    internal static void Uninitialized() =>
        throw new InvalidOperationException("The hash state was not initialised with an output size.");
}
