//! The campaign's colours on the page that shows it.

use fairdraw_core::rules::CampaignRules;
use yew::prelude::*;

/// Props of [`CampaignColors`].
#[derive(Properties, PartialEq)]
pub struct CampaignColorsProps {
    /// The rules whose identity names the colours.
    pub rules: CampaignRules,
}

/// Renders nothing; while mounted, the page takes the campaign's colours.
#[function_component(CampaignColors)]
pub fn campaign_colors(props: &CampaignColorsProps) -> Html {
    crate::hooks::use_campaign_colors(&props.rules);
    Html::default()
}
