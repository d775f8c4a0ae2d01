using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

// Usage: Collection.LocalHost.Protocol <output.desc> <csharp namespace>
// The worker keeps its protocol types internal; their descriptor (FunctionRpc.proto and its imports) is public
// data of the generated reflection class, so it is read by name rather than copied from a .proto file.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Collection.LocalHost.Protocol <output.desc> <csharp-namespace>");
    return 2;
}

const string ReflectionClass = "Microsoft.Azure.Functions.Worker.Grpc.Messages.FunctionRpcReflection";
var workerGrpc = Assembly.Load("Microsoft.Azure.Functions.Worker.Grpc");
var reflection = workerGrpc.GetType(ReflectionClass, throwOnError: true)!;
var root = (FileDescriptor)reflection.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

// Dependencies first, as protoc expects; Google's well-known types are left in the set (protoc needs them to
// resolve imports) and map to Google.Protobuf.WellKnownTypes in generated code.
var ordered = new List<FileDescriptor>();
void Visit(FileDescriptor file)
{
    if (ordered.Contains(file))
    {
        return;
    }

    foreach (var dependency in file.Dependencies)
    {
        Visit(dependency);
    }

    ordered.Add(file);
}

Visit(root);

var set = new FileDescriptorSet();
foreach (var file in ordered)
{
    var proto = FileDescriptorProto.Parser.ParseFrom(file.SerializedData);
    if (!proto.Name.StartsWith("google/", StringComparison.Ordinal))
    {
        // The host's stubs live in the local host's own namespace, not the worker's.
        proto.Options ??= new Google.Protobuf.Reflection.FileOptions();
        proto.Options.CsharpNamespace = args[1];
    }

    set.File.Add(proto);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
File.WriteAllBytes(args[0], set.ToByteArray());
Console.WriteLine($"FunctionRpc descriptor ({string.Join(", ", ordered.Select(f => f.Name))}) written to {args[0]}");
return 0;
