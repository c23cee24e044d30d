package graph

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// FromPropertyMap converts engine property values (mocks, exported state
// deserialised by the SDK) into a graph value tree.
func FromPropertyMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = FromPropertyValue(v)
	}
	return out
}

// FromPropertyValue converts one engine property value.
func FromPropertyValue(v resource.PropertyValue) any {
	switch {
	case v.IsComputed():
		return Unknown{}
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return Unknown{}
		}
		inner := FromPropertyValue(o.Element)
		if o.Secret {
			return Secret{Value: inner}
		}
		return inner
	case v.IsSecret():
		return Secret{Value: FromPropertyValue(v.SecretValue().Element)}
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = FromPropertyValue(e)
		}
		return out
	case v.IsObject():
		return FromPropertyMap(v.ObjectValue())
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{"kind": "asset", "hash": a.Hash, "path": a.Path}
	case v.IsArchive():
		a := v.ArchiveValue()
		return map[string]any{"kind": "archive", "hash": a.Hash, "path": a.Path}
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id, ok := ref.IDString(); ok && id != "" {
			return id
		}
		return string(ref.URN)
	}
	return nil
}

// FromPropertyValueMap converts the property map the policy SDK hands to
// a CrossGuard policy. Unknown values become Unknown, never a panic.
func FromPropertyValueMap(m property.Map) map[string]any {
	out := make(map[string]any, m.Len())
	for k, v := range m.All {
		out[k] = FromPolicyValue(v)
	}
	return out
}

// FromPolicyValue converts one policy-SDK property value. Every read is
// guarded by IsComputed first: the SDK panics on reading an unknown.
func FromPolicyValue(v property.Value) any {
	if v.IsComputed() {
		return Unknown{}
	}
	var out any
	switch {
	case v.IsNull():
		out = nil
	case v.IsBool():
		out = v.AsBool()
	case v.IsNumber():
		out = v.AsNumber()
	case v.IsString():
		out = v.AsString()
	case v.IsArray():
		arr := v.AsArray()
		list := make([]any, 0, arr.Len())
		for _, e := range arr.All {
			list = append(list, FromPolicyValue(e))
		}
		out = list
	case v.IsMap():
		out = FromPropertyValueMap(v.AsMap())
	case v.IsAsset():
		a := v.AsAsset()
		out = map[string]any{"kind": "asset", "hash": a.Hash, "path": a.Path}
	case v.IsArchive():
		a := v.AsArchive()
		out = map[string]any{"kind": "archive", "hash": a.Hash, "path": a.Path}
	case v.IsResourceReference():
		ref := v.AsResourceReference()
		out = string(ref.URN)
		if ref.ID.IsString() {
			out = ref.ID.AsString()
		}
	}
	if v.Secret() {
		return Secret{Value: out}
	}
	return out
}
