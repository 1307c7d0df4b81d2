//! Kommo's read shape on top of the shared wire types' serialisation.
//!
//! `kommo_model` leaves out empty and null keys so that the client's writes never send them;
//! Kommo's read responses carry some of them all the same. [`Shaped`] serialises a model value
//! through its own `Serialize` impl and puts those keys back, at the place the model skips
//! them: `field_code: null` in custom field values, `source_id: null` and the empty
//! `_embedded.contacts` / `loss_reason` / `catalog_elements` of a lead when the request asked
//! for them, and `_links.self` on embedded contacts, companies and loss reasons. The model's
//! field list and order stay the definition; this adds only the keys the model omits.

use kommo_model::{Link, Links};
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use crate::render::LeadWith;

/// What a read response depends on beyond the values: the base URL and the `with` asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadShape<'a> {
    pub(crate) base: &'a str,
    pub(crate) with: LeadWith,
}

/// `value` serialised in Kommo's read shape.
#[derive(Debug)]
pub(crate) struct Shaped<'a, T: ?Sized> {
    value: &'a T,
    shape: ReadShape<'a>,
}

impl<'a, T: ?Sized> Shaped<'a, T> {
    pub(crate) fn new(value: &'a T, shape: ReadShape<'a>) -> Self {
        Self { value, shape }
    }
}

impl<T: Serialize + ?Sized> Serialize for Shaped<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Shaper {
            inner: serializer,
            shape: self.shape,
        })
    }
}

/// The path under `/api/v4` of the entity a linked struct points to.
fn link_path(name: &str) -> Option<&'static str> {
    match name {
        "LinkedContact" => Some("contacts"),
        "LinkedCompany" => Some("companies"),
        "LossReason" => Some("leads/loss_reasons"),
        _ => None,
    }
}

/// An integer field's value, read back from its serialisation.
fn as_i64<T: Serialize + ?Sized>(value: &T) -> Option<i64> {
    serde_json::to_value(value).ok().and_then(|v| v.as_i64())
}

struct Shaper<'a, S> {
    inner: S,
    shape: ReadShape<'a>,
}

/// A compound serializer whose elements are shaped too.
struct Wrap<'a, C> {
    inner: C,
    shape: ReadShape<'a>,
}

/// A struct being serialised: knows its name, to add what Kommo sends.
struct StructWrap<'a, C> {
    inner: C,
    shape: ReadShape<'a>,
    name: &'static str,
    id: Option<i64>,
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        })*
    };
}

impl<'a, S: Serializer> Serializer for Shaper<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Wrap<'a, S::SerializeSeq>;
    type SerializeTuple = Wrap<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Wrap<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Wrap<'a, S::SerializeTupleVariant>;
    type SerializeMap = Wrap<'a, S::SerializeMap>;
    type SerializeStruct = StructWrap<'a, S::SerializeStruct>;
    type SerializeStructVariant = Wrap<'a, S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&Shaped::new(value, self.shape))
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_struct(name, &Shaped::new(value, self.shape))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, &Shaped::new(value, self.shape))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Wrap {
            inner: self.inner.serialize_seq(len)?,
            shape: self.shape,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Wrap {
            inner: self.inner.serialize_tuple(len)?,
            shape: self.shape,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Wrap {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            shape: self.shape,
        })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Ok(Wrap {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            shape: self.shape,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Wrap {
            inner: self.inner.serialize_map(len)?,
            shape: self.shape,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        // The length is a hint, except that 0 lets serde_json close the object at once.
        Ok(StructWrap {
            inner: self.inner.serialize_struct(name, len + 1)?,
            shape: self.shape,
            name,
            id: None,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Ok(Wrap {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            shape: self.shape,
        })
    }
}

impl<C: SerializeSeq> SerializeSeq for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTuple> SerializeTuple for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleStruct> SerializeTupleStruct for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_field(&Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleVariant> SerializeTupleVariant for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_field(&Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeMap> SerializeMap for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStructVariant> SerializeStructVariant for Wrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Shaped::new(value, self.shape))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStruct> SerializeStruct for StructWrap<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        if key == "id" && link_path(self.name).is_some() {
            self.id = as_i64(value);
        }
        self.inner
            .serialize_field(key, &Shaped::new(value, self.shape))
    }

    /// Called by serde's derive where `skip_serializing_if` left a field out.
    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        let with = self.shape.with;
        let empty: [u8; 0] = [];
        match (self.name, key) {
            ("CustomFieldValues", "field_code") => self.inner.serialize_field(key, &None::<()>),
            ("Lead", "source_id") if with.source_id => self.inner.serialize_field(key, &None::<()>),
            ("LeadEmbedded", "contacts") if with.contacts => {
                self.inner.serialize_field(key, &empty)
            }
            ("LeadEmbedded", "loss_reason") if with.loss_reason => {
                self.inner.serialize_field(key, &empty)
            }
            ("LeadEmbedded", "catalog_elements") if with.catalog_elements => {
                self.inner.serialize_field(key, &empty)
            }
            _ => self.inner.skip_field(key),
        }
    }

    fn end(mut self) -> Result<C::Ok, C::Error> {
        if let (Some(path), Some(id)) = (link_path(self.name), self.id) {
            let links = Links {
                self_: Some(Link {
                    href: format!("{}/api/v4/{path}/{id}", self.shape.base),
                }),
                ..Links::default()
            };
            self.inner.serialize_field("_links", &links)?;
        }
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::{Contact, ContactEmbedded, CustomFieldValues, LinkedCompany};
    use serde_json::{Value, json};

    use super::*;

    fn contact() -> Contact {
        Contact {
            id: 7,
            custom_fields_values: Some(vec![CustomFieldValues {
                field_id: Some(3),
                field_name: Some("Birthday".into()),
                field_code: None,
                field_type: Some("date".into()),
                values: Some(Vec::new()),
                is_computed: None,
            }]),
            embedded: ContactEmbedded {
                companies: vec![LinkedCompany { id: 9 }],
                ..ContactEmbedded::default()
            },
            ..Contact::default()
        }
    }

    #[test]
    fn read_shape_puts_back_what_kommo_sends_and_the_model_leaves_out() {
        let shape = ReadShape {
            base: "http://h",
            with: LeadWith::default(),
        };
        let shaped: Value = serde_json::to_value(Shaped::new(&contact(), shape)).unwrap();
        assert_eq!(shaped["custom_fields_values"][0]["field_code"], Value::Null);
        assert!(
            shaped["custom_fields_values"][0]
                .as_object()
                .unwrap()
                .contains_key("field_code")
        );
        assert_eq!(
            shaped["_embedded"]["companies"],
            json!([{"id": 9, "_links": {"self": {"href": "http://h/api/v4/companies/9"}}}])
        );
        // The model itself keeps its write shape: no nulls, no links.
        let plain = serde_json::to_value(contact()).unwrap();
        assert!(
            !plain["custom_fields_values"][0]
                .as_object()
                .unwrap()
                .contains_key("field_code")
        );
        assert_eq!(plain["_embedded"]["companies"], json!([{"id": 9}]));
        // Everything else is the model's serialisation unchanged.
        let mut stripped = shaped.clone();
        stripped["custom_fields_values"][0]
            .as_object_mut()
            .unwrap()
            .remove("field_code");
        stripped["_embedded"]["companies"][0]
            .as_object_mut()
            .unwrap()
            .remove("_links");
        assert_eq!(stripped, plain);
    }
}
