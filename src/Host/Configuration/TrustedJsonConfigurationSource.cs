using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using RouterHost.Linux;

namespace RouterHost.Configuration;

/// <summary>
/// A <c>--config</c> file: JSON, watched for changes, and read only while <see cref="FileTrust"/> trusts it (owned by
/// root or the router's user, writable by nobody else, in folders nobody else can write). A file that is not trusted
/// at start is refused; one that stops being trusted while the router runs is not read again: its provider keeps
/// the last contents it trusted and reports the refusal (<see cref="TrustedJsonConfigurationProvider.Refusal"/>),
/// which the reloader logs, refusing the reload.
/// </summary>
internal sealed class TrustedJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>The file's absolute path.</summary>
    public required string FullPath { get; init; }

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new TrustedJsonConfigurationProvider(this);
    }
}

/// <summary>The provider of a <see cref="TrustedJsonConfigurationSource"/>.</summary>
internal sealed class TrustedJsonConfigurationProvider : JsonConfigurationProvider
{
    private readonly string _fullPath;
    private volatile string? _refusal;
    private bool _loaded;

    public TrustedJsonConfigurationProvider(TrustedJsonConfigurationSource source)
        : base(source) => _fullPath = source.FullPath;

    /// <summary>The file's absolute path.</summary>
    public string FullPath => _fullPath;

    /// <summary>Why the file's latest contents were not taken (it is not trusted), or null when they were.</summary>
    public string? Refusal => _refusal;

    public override void Load(Stream stream)
    {
        if (!FileTrust.Check(_fullPath, TrustedPathKind.ConfigurationFile, out string? problem))
        {
            _refusal = problem;
            if (!_loaded)
            {
                throw new ConfigurationFileRefusedException(problem!);
            }

            // Nothing of a file others could have written is taken: the data stays as last trusted.
            return;
        }

        base.Load(stream);
        _loaded = true;
        _refusal = null;
    }
}

/// <summary>A configuration file <see cref="FileTrust"/> refuses; the message names it, says why and how to fix it.</summary>
internal sealed class ConfigurationFileRefusedException : IOException
{
    public ConfigurationFileRefusedException(string message)
        : base(message)
    {
    }
}
