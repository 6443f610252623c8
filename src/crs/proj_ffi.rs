//! The few PROJ calls the `proj` crate does not wrap: parse a CRS definition (EPSG code, URN,
//! OGC or ESRI WKT, PROJ string), name it, identify its EPSG code and read its area of use.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;

use proj_sys as sys;

/// What PROJ says about one CRS definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub name: String,
    /// The EPSG code: stated in the definition, or identified by PROJ with confidence ≥ 70 %.
    pub epsg: Option<u32>,
    /// Confidence (%) of the identification; 100 when the definition stated the code.
    pub confidence: u8,
    pub geographic: bool,
    /// Area of use as [west, south, east, north] in degrees.
    pub area: Option<[f64; 4]>,
}

struct Context(*mut sys::PJ_CONTEXT);

impl Context {
    fn new() -> Self {
        // SAFETY: proj_context_create has no preconditions; a null result is handled by PROJ
        // as the default context.
        Context(unsafe { sys::proj_context_create() })
    }

    fn error(&self) -> String {
        // SAFETY: the context is live; PROJ returns a static or context-owned string.
        unsafe {
            let code = sys::proj_context_errno(self.0);
            let message = sys::proj_context_errno_string(self.0, code);
            owned(message).unwrap_or_else(|| format!("PROJ error {code}"))
        }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: created by proj_context_create, destroyed once, after every object (objects
        // borrow the context and are dropped first).
        unsafe { sys::proj_context_destroy(self.0) };
    }
}

struct Object<'c> {
    ctx: &'c Context,
    pj: *mut sys::PJ,
}

impl Drop for Object<'_> {
    fn drop(&mut self) {
        // SAFETY: a non-null object created in `ctx`, destroyed once.
        unsafe { sys::proj_destroy(self.pj) };
    }
}

impl<'c> Object<'c> {
    fn new(ctx: &'c Context, pj: *mut sys::PJ) -> Option<Self> {
        (!pj.is_null()).then_some(Object { ctx, pj })
    }

    fn kind(&self) -> sys::PJ_TYPE {
        // SAFETY: live object.
        unsafe { sys::proj_get_type(self.pj) }
    }

    fn name(&self) -> Option<String> {
        // SAFETY: live object; the string is owned by it.
        unsafe { owned(sys::proj_get_name(self.pj)) }
    }

    fn epsg_id(&self) -> Option<u32> {
        // SAFETY: live object; strings owned by it.
        unsafe {
            let auth = owned(sys::proj_get_id_auth_name(self.pj, 0))?;
            let code = owned(sys::proj_get_id_code(self.pj, 0))?;
            (auth == "EPSG").then(|| code.parse().ok()).flatten()
        }
    }

    /// For a bound CRS (a PROJ string with +towgs84), the CRS it is bound to.
    fn source_crs(&self) -> Option<Object<'c>> {
        // SAFETY: live object in a live context.
        Object::new(self.ctx, unsafe {
            sys::proj_get_source_crs(self.ctx.0, self.pj)
        })
    }

    fn identify_epsg(&self) -> Option<(u32, u8)> {
        let auth = CString::new("EPSG").ok()?;
        let mut confidence: *mut c_int = ptr::null_mut();
        // SAFETY: live object; the list and the confidence array are freed below.
        unsafe {
            let list = sys::proj_identify(
                self.ctx.0,
                self.pj,
                auth.as_ptr(),
                ptr::null(),
                &mut confidence,
            );
            if list.is_null() {
                return None;
            }
            let count = sys::proj_list_get_count(list);
            let mut best = None;
            // The list is sorted by decreasing confidence.
            if count > 0 && !confidence.is_null() {
                let level = *confidence;
                if level >= 70
                    && let Some(candidate) =
                        Object::new(self.ctx, sys::proj_list_get(self.ctx.0, list, 0))
                {
                    best = candidate
                        .epsg_id()
                        .map(|code| (code, level.clamp(0, 100) as u8));
                }
            }
            sys::proj_int_list_destroy(confidence);
            sys::proj_list_destroy(list);
            best
        }
    }

    fn area(&self) -> Option<[f64; 4]> {
        let (mut w, mut s, mut e, mut n) = (0.0, 0.0, 0.0, 0.0);
        let mut name: *const c_char = ptr::null();
        // SAFETY: live object; out-pointers are valid locals.
        let ok = unsafe {
            sys::proj_get_area_of_use(
                self.ctx.0, self.pj, &mut w, &mut s, &mut e, &mut n, &mut name,
            )
        };
        (ok != 0 && w > -1000.0).then_some([w, s, e, n])
    }
}

/// # Safety
/// `s` is null or a valid NUL-terminated string.
unsafe fn owned(s: *const c_char) -> Option<String> {
    if s.is_null() {
        return None;
    }
    // SAFETY: per the function's contract.
    Some(unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

/// Parses a CRS definition with PROJ and describes it.
pub fn describe(definition: &str) -> Result<Described, String> {
    let text = CString::new(definition).map_err(|_| "CRS definition contains a NUL byte")?;
    let ctx = Context::new();
    // SAFETY: valid context and NUL-terminated text.
    let object = Object::new(&ctx, unsafe { sys::proj_create(ctx.0, text.as_ptr()) })
        .ok_or_else(|| ctx.error())?;
    // SAFETY: live object.
    if unsafe { sys::proj_is_crs(object.pj) } == 0 {
        return Err(format!(
            "'{}' is not a coordinate reference system",
            abbreviate(definition)
        ));
    }
    let crs = if object.kind() == sys::PJ_TYPE_PJ_TYPE_BOUND_CRS {
        object.source_crs().unwrap_or(object)
    } else {
        object
    };
    let geographic = matches!(
        crs.kind(),
        sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS
            | sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS
            | sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_CRS
    );
    let (epsg, confidence) = match crs.epsg_id() {
        Some(code) => (Some(code), 100),
        None => crs.identify_epsg().map_or((None, 0), |(c, l)| (Some(c), l)),
    };
    // The registry's area of use is more reliable than one parsed from WKT.
    let area = epsg
        .and_then(|code| {
            let def = CString::new(format!("EPSG:{code}")).ok()?;
            // SAFETY: valid context and text.
            let registered = Object::new(&ctx, unsafe { sys::proj_create(ctx.0, def.as_ptr()) })?;
            registered.area()
        })
        .or_else(|| crs.area());
    Ok(Described {
        name: crs.name().unwrap_or_else(|| "unnamed CRS".into()),
        epsg,
        confidence,
        geographic,
        area,
    })
}

/// The first 60 characters of a long definition (WKT), for messages.
pub fn abbreviate(definition: &str) -> String {
    let mut chars = definition.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// How a CRS is written out as WKT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WktFlavour {
    /// ESRI's WKT1, what a Shapefile's .prj holds.
    Esri,
    /// OGC WKT1 as GDAL writes it, what a GeoPackage's `gpkg_spatial_ref_sys.definition` holds.
    Ogc1,
}

/// `definition` (EPSG code, URN, WKT, PROJ string) written as WKT of the given flavour.
pub fn to_wkt(definition: &str, flavour: WktFlavour) -> Result<String, String> {
    let text = CString::new(definition).map_err(|_| "CRS definition contains a NUL byte")?;
    let ctx = Context::new();
    // SAFETY: valid context and NUL-terminated text.
    let object = Object::new(&ctx, unsafe { sys::proj_create(ctx.0, text.as_ptr()) })
        .ok_or_else(|| ctx.error())?;
    let kind = match flavour {
        WktFlavour::Esri => sys::PJ_WKT_TYPE_PJ_WKT1_ESRI,
        WktFlavour::Ogc1 => sys::PJ_WKT_TYPE_PJ_WKT1_GDAL,
    };
    // One line: what .prj files and GDAL's GeoPackages hold.
    let option = CString::new("MULTILINE=NO").map_err(|e| e.to_string())?;
    let options = [option.as_ptr(), ptr::null()];
    // SAFETY: live object; the options list is NUL-terminated and outlives the call; the
    // returned string is owned by the object.
    let wkt = unsafe { owned(sys::proj_as_wkt(ctx.0, object.pj, kind, options.as_ptr())) };
    wkt.ok_or_else(|| {
        format!(
            "'{}' cannot be written as WKT: {}",
            abbreviate(definition),
            ctx.error()
        )
    })
}
