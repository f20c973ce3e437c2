namespace RouterHost.Crypto.Internal;

/// <summary>
/// OpenSSL 3's BLAKE2s (the BLAKE2S-256 digest and the BLAKE2SMAC MAC, whose "size" parameter gives the 16-byte
/// output WireGuard's mac1/mac2 need). Not used by the public API — managed <see cref="Blake2s"/> is faster at
/// handshake sizes — but kept as the measured baseline and as an independent oracle for the tests.
/// An instance owns its contexts and is not thread-safe.
/// </summary>
internal sealed unsafe class OpenSslBlake2s : IDisposable
{
    private static ReadOnlySpan<byte> SizeParameterName => "size"u8;

    private readonly SafeEvpMdHandle _md;
    private readonly SafeEvpMdCtxHandle _mdContext;
    private readonly SafeEvpMacHandle _mac;
    private readonly SafeEvpMacCtxHandle _macContext;

    internal OpenSslBlake2s()
    {
        _md = Interop.Crypto.EVP_MD_fetch(IntPtr.Zero, "BLAKE2S-256", null);
        _mdContext = Interop.Crypto.EVP_MD_CTX_new();
        _mac = Interop.Crypto.EVP_MAC_fetch(IntPtr.Zero, "BLAKE2SMAC", null);
        _macContext = _mac.IsInvalid ? new SafeEvpMacCtxHandle() : Interop.Crypto.EVP_MAC_CTX_new(_mac);
        if (_md.IsInvalid || _mdContext.IsInvalid || _mac.IsInvalid || _macContext.IsInvalid)
        {
            Dispose();
            Interop.Crypto.ERR_clear_error();
            throw new PlatformNotSupportedException("OpenSSL BLAKE2S-256 / BLAKE2SMAC are not available.");
        }
    }

    /// <summary>Unkeyed BLAKE2s-256 into a 32-byte <paramref name="hash"/>.</summary>
    internal void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        uint length = 32;
        fixed (byte* d = data)
        fixed (byte* h = hash)
        {
            if (Interop.Crypto.EVP_DigestInit_ex(_mdContext, _md, IntPtr.Zero) != 1 ||
                Interop.Crypto.EVP_DigestUpdate(_mdContext, d, (nuint)data.Length) != 1 ||
                Interop.Crypto.EVP_DigestFinal_ex(_mdContext, h, &length) != 1)
            {
                ThrowHelper.Native("EVP_Digest BLAKE2S-256");
            }
        }
    }

    /// <summary>Keyed BLAKE2s with a <c>mac.Length</c>-byte (1..32) output.</summary>
    internal void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        nuint size = (nuint)mac.Length;
        nuint written;
        Interop.Crypto.OSSL_PARAM* parameters = stackalloc Interop.Crypto.OSSL_PARAM[2];
        fixed (byte* name = SizeParameterName)
        fixed (byte* k = key)
        fixed (byte* d = data)
        fixed (byte* m = mac)
        {
            // OSSL_PARAM keys are C strings; the u8 literal is stored with a terminating NUL.
            parameters[0] = new Interop.Crypto.OSSL_PARAM
            {
                key = name,
                data_type = Interop.Crypto.OSSL_PARAM_UNSIGNED_INTEGER,
                data = &size,
                data_size = (nuint)sizeof(nuint),
                return_size = nuint.MaxValue,
            };
            parameters[1] = default;
            if (Interop.Crypto.EVP_MAC_init(_macContext, k, (nuint)key.Length, parameters) != 1 ||
                Interop.Crypto.EVP_MAC_update(_macContext, d, (nuint)data.Length) != 1 ||
                Interop.Crypto.EVP_MAC_final(_macContext, m, &written, (nuint)mac.Length) != 1 ||
                written != (nuint)mac.Length)
            {
                Interop.Crypto.ERR_clear_error();
                ThrowHelper.Native("EVP_MAC BLAKE2SMAC");
            }
        }
    }

    public void Dispose()
    {
        _macContext.Dispose();
        _mac.Dispose();
        _mdContext.Dispose();
        _md.Dispose();
    }
}
