package decoder

import (
	"reflect"
	"testing"
)

// The IsDefined methods list their fields by hand (a whole-struct comparison
// costs a call per string field in the WebAssembly build). This test keeps
// them honest: each is false for the zero value and true when any single
// field is set, so a field added to the model cannot be silently omitted.
func TestIsDefinedCoversEveryField(t *testing.T) {
	type definer interface{ IsDefined() bool }
	values := []definer{&Media{}, &Thumb{}, &Location{}, &Link{}, &MiniProgram{}, &Card{}, &Quote{},
		&Transfer{}, &RedPacket{}, &ChatHistory{}, &Pat{}, &Recall{}, &FriendRequest{}, &RoomChange{},
		&RoomInfo{}, &Channels{}, &Announcement{}, &Todo{}, &Call{}, &WecomFields{}, &EyunFields{}, &DLLFields{}, &GeweFields{}, &Problem{}}
	for _, v := range values {
		rv := reflect.ValueOf(v).Elem()
		name := rv.Type().Name()
		if v.IsDefined() {
			t.Errorf("%s: zero value is defined", name)
		}
		for i := 0; i < rv.NumField(); i++ {
			f := rv.Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString("x")
			case reflect.Int, reflect.Int64:
				f.SetInt(1)
			case reflect.Float64:
				f.SetFloat(1)
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Slice:
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			case reflect.Struct:
				f.Field(0).SetString("x")
			default:
				t.Fatalf("%s.%s: kind %s not handled by this test", name, rv.Type().Field(i).Name, f.Kind())
			}
			if !v.IsDefined() {
				t.Errorf("%s: IsDefined ignores field %s", name, rv.Type().Field(i).Name)
			}
			f.Set(reflect.Zero(f.Type()))
		}
	}
}
