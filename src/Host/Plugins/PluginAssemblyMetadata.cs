using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// What a plugin's entry assembly declares, read from its metadata tables with System.Reflection.Metadata: the
/// assembly's version, the plugin contract version it references, and its public types marked
/// <c>[RouterHostPlugin]</c> (name, description, and the kind when its own metadata tells). Reading metadata loads
/// nothing into the runtime, so none of the plugin's code (module initializer, static constructors) runs.
/// </summary>
internal sealed class PluginAssemblyMetadata
{
    private const string AttributeName = "RouterHostPluginAttribute";
    private const string ContractNamespace = "RouterHost.Abstractions";
    private const int MaxBaseTypeDepth = 16;

    private PluginAssemblyMetadata(Version version, Version? contractVersion, IReadOnlyList<PluginTypeMetadata> types)
    {
        Version = version;
        ContractVersion = contractVersion;
        Types = types;
    }

    /// <summary>The assembly's own version.</summary>
    public Version Version { get; }

    /// <summary>The version of <c>RouterHost.Abstractions</c> it references; null when it references none.</summary>
    public Version? ContractVersion { get; }

    /// <summary>Its public types marked <c>[RouterHostPlugin]</c>.</summary>
    public IReadOnlyList<PluginTypeMetadata> Types { get; }

    /// <summary>Reads the assembly at <paramref name="path"/>; null with <paramref name="problem"/> when it cannot be read.</summary>
    public static PluginAssemblyMetadata? TryRead(string path, out string? problem)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            return TryRead(pe, out problem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"it cannot be read: {ex.Message}";
            return null;
        }
    }

    /// <summary>Reads an assembly image held in memory; null with <paramref name="problem"/> when it is not one.</summary>
    public static PluginAssemblyMetadata? TryRead(ImmutableArray<byte> image, out string? problem)
    {
        using var pe = new PEReader(image);
        return TryRead(pe, out problem);
    }

    private static PluginAssemblyMetadata? TryRead(PEReader pe, out string? problem)
    {
        try
        {
            if (!pe.HasMetadata)
            {
                problem = "it is not a .NET assembly (no metadata)";
                return null;
            }

            MetadataReader reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                problem = "it is a module, not an assembly";
                return null;
            }

            Version version = reader.GetAssemblyDefinition().Version;
            Version? contract = null;
            foreach (AssemblyReferenceHandle handle in reader.AssemblyReferences)
            {
                AssemblyReference reference = reader.GetAssemblyReference(handle);
                if (reader.StringComparer.Equals(reference.Name, PluginContract.AssemblyName))
                {
                    contract = reference.Version;
                    break;
                }
            }

            var types = new List<PluginTypeMetadata>();
            foreach (TypeDefinitionHandle handle in reader.TypeDefinitions)
            {
                TypeDefinition type = reader.GetTypeDefinition(handle);
                if (!IsExported(reader, type) || !TryReadAttribute(reader, type, out string? name, out string? description))
                {
                    continue;
                }

                types.Add(new PluginTypeMetadata(FullName(reader, type), name!, description, KindOf(reader, type, 0)));
            }

            problem = null;
            return new PluginAssemblyMetadata(version, contract, types);
        }
        catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            problem = $"it is not a valid .NET assembly: {ex.Message}";
            return null;
        }
    }

    /// <summary>Visible outside the assembly, as <c>Assembly.GetExportedTypes</c> would list it.</summary>
    private static bool IsExported(MetadataReader reader, TypeDefinition type)
    {
        for (int depth = 0; depth < MaxBaseTypeDepth; depth++)
        {
            TypeAttributes visibility = type.Attributes & TypeAttributes.VisibilityMask;
            if (visibility == TypeAttributes.Public)
            {
                return true;
            }

            if (visibility != TypeAttributes.NestedPublic)
            {
                return false;
            }

            type = reader.GetTypeDefinition(type.GetDeclaringType());
        }

        return false;
    }

    private static bool TryReadAttribute(MetadataReader reader, TypeDefinition type, out string? name, out string? description)
    {
        foreach (CustomAttributeHandle handle in type.GetCustomAttributes())
        {
            CustomAttribute attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            MemberReference constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference
                || !IsContractType(reader, (TypeReferenceHandle)constructor.Parent, AttributeName))
            {
                continue;
            }

            CustomAttributeValue<string> value = attribute.DecodeValue(AttributeTypeProvider.Instance);
            name = value.FixedArguments.Length == 1 ? value.FixedArguments[0].Value as string : null;
            description = null;
            foreach (CustomAttributeNamedArgument<string> named in value.NamedArguments)
            {
                if (named.Name == nameof(RouterHostPluginAttribute.Description))
                {
                    description = named.Value as string;
                }
            }

            return !string.IsNullOrWhiteSpace(name);
        }

        name = null;
        description = null;
        return false;
    }

    /// <summary>
    /// The kind the type's own assembly declares (an interface it or one of its base types in the same assembly
    /// implements); null when that cannot be told without loading (a base type from another assembly).
    /// </summary>
    private static PluginKind? KindOf(MetadataReader reader, TypeDefinition type, int depth)
    {
        foreach (InterfaceImplementationHandle handle in type.GetInterfaceImplementations())
        {
            EntityHandle implemented = reader.GetInterfaceImplementation(handle).Interface;
            if (implemented.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            if (IsContractType(reader, (TypeReferenceHandle)implemented, nameof(IBackendPlugin)))
            {
                return PluginKind.Backend;
            }

            if (IsContractType(reader, (TypeReferenceHandle)implemented, nameof(IStagePlugin)))
            {
                return PluginKind.Stage;
            }
        }

        return type.BaseType.Kind == HandleKind.TypeDefinition && depth < MaxBaseTypeDepth
            ? KindOf(reader, reader.GetTypeDefinition((TypeDefinitionHandle)type.BaseType), depth + 1)
            : null;
    }

    /// <summary>Whether the reference names <c>RouterHost.Abstractions.&lt;name&gt;</c> in the contract assembly.</summary>
    private static bool IsContractType(MetadataReader reader, TypeReferenceHandle handle, string name)
    {
        TypeReference reference = reader.GetTypeReference(handle);
        if (!reader.StringComparer.Equals(reference.Name, name)
            || !reader.StringComparer.Equals(reference.Namespace, ContractNamespace)
            || reference.ResolutionScope.Kind != HandleKind.AssemblyReference)
        {
            return false;
        }

        AssemblyReference scope = reader.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope);
        return reader.StringComparer.Equals(scope.Name, PluginContract.AssemblyName);
    }

    /// <summary>The name <c>Assembly.GetType</c> takes: <c>Namespace.Outer+Inner</c>.</summary>
    private static string FullName(MetadataReader reader, TypeDefinition type)
    {
        string name = reader.GetString(type.Name);
        TypeDefinitionHandle declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return FullName(reader, reader.GetTypeDefinition(declaring)) + "+" + name;
        }

        string ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Decodes attribute arguments naming types by their names; only strings are read.</summary>
    private sealed class AttributeTypeProvider : ICustomAttributeTypeProvider<string>
    {
        public static readonly AttributeTypeProvider Instance = new();

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();

        public string GetSystemType() => "System.Type";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);

        public string GetTypeFromSerializedName(string name) => name;

        // An enum argument's underlying type cannot be known without loading its assembly; the attribute has none.
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => throw new BadImageFormatException($"an enum argument ({type}) in [RouterHostPlugin]");

        public bool IsSystemType(string type) => type == "System.Type";
    }
}

/// <summary>One public type marked <c>[RouterHostPlugin]</c>, as its assembly's metadata declares it.</summary>
/// <param name="FullName">The name <c>Assembly.GetType</c> takes.</param>
/// <param name="Name">The plugin's name.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Kind">The kind its metadata declares; null when only loading can tell.</param>
internal sealed record PluginTypeMetadata(string FullName, string Name, string? Description, PluginKind? Kind);
